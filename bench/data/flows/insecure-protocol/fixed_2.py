# expect: none
# safe: minimum_version TLSv1_2
import ssl
from http.server import HTTPServer, SimpleHTTPRequestHandler


def serve(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    httpd = HTTPServer(("localhost", 4443), SimpleHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()
