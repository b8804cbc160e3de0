# expect: insecure-protocol line 6
import ssl


def make_server_context(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLSv1_1)
    context.load_cert_chain(certfile=certfile, keyfile=keyfile)
    return context
