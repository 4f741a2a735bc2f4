"""Authentication and authorization: password hashing, JWT access tokens, and what each role
may do (Airflow 3's simple auth manager's roles: admin, op, user, viewer)."""
