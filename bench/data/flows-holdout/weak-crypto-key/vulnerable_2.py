# expect: weak-crypto-key line 9
from Crypto.Hash import SHA256
from Crypto.PublicKey import DSA
from Crypto.Signature import DSS


class DocumentSigner:
    def __init__(self):
        self.key = DSA.generate(1024)

    def sign(self, document):
        digest = SHA256.new(document.encode("utf-8"))
        return DSS.new(self.key, "fips-186-3").sign(digest)

    def public_key_pem(self):
        return self.key.publickey().export_key()
