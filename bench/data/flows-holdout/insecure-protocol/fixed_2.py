# expect: none
# safe: PROTOCOL_TLS_SERVER with minimum_version TLS 1.2
import ssl


def make_server_context(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=certfile, keyfile=keyfile)
    return context
