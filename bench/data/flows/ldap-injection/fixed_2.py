# expect: none
# safe: ldap.dn.escape_dn_chars escapes the user name before it is put into the DN
import ldap
import ldap.dn


def authenticate(user, password):
    """True when `user` can bind to the directory with `password`."""
    conn = ldap.initialize("ldaps://ldap.example.com")
    try:
        conn.simple_bind_s(f"uid={ldap.dn.escape_dn_chars(user)},ou=people,dc=example,dc=com", password)
        return True
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        conn.unbind_s()
