# expect: none
# safe: the DSA key is 3072 bits
from Crypto.Hash import SHA256
from Crypto.PublicKey import DSA
from Crypto.Signature import DSS


class DocumentSigner:
    def __init__(self):
        self.key = DSA.generate(3072)

    def sign(self, document):
        digest = SHA256.new(document.encode("utf-8"))
        return DSS.new(self.key, "fips-186-3").sign(digest)

    def public_key_pem(self):
        return self.key.publickey().export_key()
