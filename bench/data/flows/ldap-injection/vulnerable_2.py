# expect: ldap-injection line 9
import ldap


def authenticate(user, password):
    """True when `user` can bind to the directory with `password`."""
    conn = ldap.initialize("ldaps://ldap.example.com")
    try:
        conn.simple_bind_s(f"uid={user},ou=people,dc=example,dc=com", password)
        return True
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        conn.unbind_s()
