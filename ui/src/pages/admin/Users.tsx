// The users page (admins): every user with role, state and last login; create a user with a
// password typed twice, change a role, reset a password, deactivate, delete. The API refuses
// deleting or deactivating yourself and leaving no active admin; the UI offers neither on your
// own row, and shows the API's message for the rest. Changing your own role ends your session
// (after saying so): the UI's role comes from the token, the server's from the user.
import { useState } from "preact/hooks";
import { endSession, get, request } from "../../api";
import { Dialog } from "../../components/Dialog";
import { dateTime, fromNow } from "../../format";
import { notify } from "../../notices";
import { may } from "../../permissions";
import { navigate } from "../../router";
import type { Session } from "../../session";
import { ActionsHeader, AdminListPage, ConfirmDialog, Field, FormDialog, useEditing, useListing } from "./AdminKit";
import { MIN_PASSWORD_LENGTH, ROLE_NAMES, type RoleName, type User, type UserCollection } from "./adminTypes";

const URL = "/ui/users";
const userUrl = (username: string) => `${URL}/${encodeURIComponent(username)}`;

type Editing =
  | { kind: "create" }
  | { kind: "role"; user: User }
  | { kind: "password"; user: User }
  | { kind: "delete"; user: User };

export function UsersPage({ session }: { session: Session }) {
  const canChange = may(session.role, "change", "user");
  const [ownNewRole, setOwnNewRole] = useState<RoleName | null>(null);
  const listing = useListing((signal) => get<UserCollection>(URL, undefined, signal), "users");
  const { editing, setEditing, close, done } = useEditing<Editing>(listing.refresh);
  const setActive = async (user: User, active: boolean) => {
    try {
      await request("PATCH", userUrl(user.username), { body: { active } });
      done(`User ${user.username} ${active ? "activated" : "deactivated"}`);
    } catch (failure) {
      notify(failure instanceof Error ? failure.message : String(failure), "error");
    }
  };

  return (
    <AdminListPage
      title="Users"
      listing={listing}
      addLabel="+ Add user"
      onAdd={canChange ? () => setEditing({ kind: "create" }) : undefined}
      dialogs={
        <>
          {editing?.kind === "create" && <CreateUserForm onClose={close} onSaved={done} />}
          {editing?.kind === "role" && (
            <RoleForm
              user={editing.user}
              onClose={close}
              onSaved={done}
              onOwnRoleChanged={setOwnNewRole}
              isMe={editing.user.username === session.username}
            />
          )}
          {ownNewRole && <OwnRoleChanged role={ownNewRole} />}
          {editing?.kind === "password" && <PasswordForm user={editing.user} onClose={close} onSaved={done} />}
          {editing?.kind === "delete" && (
            <ConfirmDialog
              title="Delete user"
              message={`Delete user ${editing.user.username}? They are logged out at once and cannot log in again.`}
              confirmLabel="Delete"
              onClose={close}
              onConfirm={async () => {
                await request("DELETE", userUrl(editing.user.username));
                done(`User ${editing.user.username} deleted`);
              }}
            />
          )}
        </>
      }
    >
      {(data) => (
        <table class="admin-table" aria-label="Users">
          <thead>
            <tr>
              <th>Username</th>
              <th>Role</th>
              <th>Name</th>
              <th>Email</th>
              <th>Active</th>
              <th>Created</th>
              <th>Last login</th>
              {canChange && <ActionsHeader />}
            </tr>
          </thead>
          <tbody>
            {data.users.map((user) => {
              const isMe = user.username === session.username;
              return (
                <tr key={user.username} data-username={user.username} class={user.active ? undefined : "inactive"}>
                  <td>
                    {user.username}
                    {isMe && <span class="muted"> (you)</span>}
                  </td>
                  <td data-col="role">{user.role}</td>
                  <td>{[user.first_name, user.last_name].filter(Boolean).join(" ")}</td>
                  <td>{user.email}</td>
                  <td data-col="active">{user.active ? "yes" : "no"}</td>
                  <td>
                    <When iso={user.created_at} />
                  </td>
                  <td>{user.last_login ? <When iso={user.last_login} /> : <span class="muted">never</span>}</td>
                  {canChange && (
                    <td class="actions">
                      <button type="button" aria-label={`Change role of ${user.username}`} onClick={() => setEditing({ kind: "role", user })}>
                        Role
                      </button>
                      <button
                        type="button"
                        aria-label={`Reset password of ${user.username}`}
                        onClick={() => setEditing({ kind: "password", user })}
                      >
                        Password
                      </button>
                      {!isMe && (
                        <>
                          <button
                            type="button"
                            aria-label={`${user.active ? "Deactivate" : "Activate"} ${user.username}`}
                            onClick={() => void setActive(user, !user.active)}
                          >
                            {user.active ? "Deactivate" : "Activate"}
                          </button>
                          <button type="button" aria-label={`Delete ${user.username}`} onClick={() => setEditing({ kind: "delete", user })}>
                            Delete
                          </button>
                        </>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </AdminListPage>
  );
}

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {fromNow(iso)}
    </time>
  );
}

interface FormProps {
  onClose: () => void;
  onSaved: (text: string) => void;
}

/** The password typed twice; an error when they differ or it is too short. */
function checkedPassword(password: string, confirmation: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password !== confirmation) throw new Error("The two passwords differ");
  return password;
}

function PasswordFields({ onChange }: { onChange: (password: string, confirmation: string) => void }) {
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  return (
    <>
      <Field label="Password" hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}>
        <input
          type="password"
          autocomplete="new-password"
          required
          value={password}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
            onChange(e.currentTarget.value, confirmation);
          }}
        />
      </Field>
      <Field label="Confirm password">
        <input
          type="password"
          autocomplete="new-password"
          required
          value={confirmation}
          onInput={(e) => {
            setConfirmation(e.currentTarget.value);
            onChange(password, e.currentTarget.value);
          }}
        />
      </Field>
    </>
  );
}

function RoleSelect({ value, onChange }: { value: RoleName; onChange: (role: RoleName) => void }) {
  return (
    <Field label="Role" hint="viewer reads; user also runs DAGs; op also manages pools, variables and connections; admin also users.">
      <select value={value} onChange={(e) => onChange(e.currentTarget.value as RoleName)}>
        {ROLE_NAMES.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
    </Field>
  );
}

function CreateUserForm({ onClose, onSaved }: FormProps) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<RoleName>("viewer");
  const [passwords, setPasswords] = useState(["", ""]);
  const save = async () => {
    const password = checkedPassword(passwords[0], passwords[1]);
    await request("POST", URL, { body: { username: username.trim(), role, password } });
    onSaved(`User ${username.trim()} created with role ${role}`);
  };
  return (
    <FormDialog title="Add user" submitLabel="Create" onSubmit={save} onClose={onClose}>
      <Field label="Username" hint="Letters, digits and _ . @ + -">
        <input required autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </Field>
      <RoleSelect value={role} onChange={setRole} />
      <PasswordFields onChange={(password, confirmation) => setPasswords([password, confirmation])} />
    </FormDialog>
  );
}

interface RoleFormProps extends FormProps {
  user: User;
  isMe: boolean;
  onOwnRoleChanged: (role: RoleName) => void;
}

function RoleForm({ user, isMe, onClose, onSaved, onOwnRoleChanged }: RoleFormProps) {
  const [role, setRole] = useState<RoleName>(user.role);
  const save = async () => {
    if (role === user.role) return;
    await request("PATCH", userUrl(user.username), { body: { role } });
    if (isMe) onOwnRoleChanged(role);
    else onSaved(`${user.username} is now ${role}`);
  };
  return (
    <FormDialog title={`Change the role of ${user.username}`} submitLabel="Save" onSubmit={save} onClose={onClose}>
      <RoleSelect value={role} onChange={setRole} />
      {isMe && <p class="muted">This is your own user: you will be logged out to log in again with the new role.</p>}
    </FormDialog>
  );
}

/** Says one's own role changed, then (however the dialog closes) ends the session. */
function OwnRoleChanged({ role }: { role: RoleName }) {
  const logOut = () => {
    navigate("/");
    endSession();
  };
  return (
    <Dialog title="Your role changed" submitLabel="Log in again" onSubmit={async () => {}} onClose={logOut}>
      <p>
        You are now <strong>{role}</strong>. Log in again to use the pages and actions of that role.
      </p>
    </Dialog>
  );
}

function PasswordForm({ user, onClose, onSaved }: FormProps & { user: User }) {
  const [passwords, setPasswords] = useState(["", ""]);
  const save = async () => {
    const password = checkedPassword(passwords[0], passwords[1]);
    await request("PATCH", userUrl(user.username), { body: { password } });
    onSaved(`Password of ${user.username} reset`);
  };
  return (
    <FormDialog title={`Reset the password of ${user.username}`} submitLabel="Reset password" onSubmit={save} onClose={onClose}>
      <p class="muted">
        {user.username} logs in with the new password from now on. Logins already open stay valid until their token
        expires.
      </p>
      <PasswordFields onChange={(password, confirmation) => setPasswords([password, confirmation])} />
    </FormDialog>
  );
}
