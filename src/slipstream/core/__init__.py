"""The shared vocabulary at the bottom of Slipstream: states, trigger rules, errors. Stdlib only."""
