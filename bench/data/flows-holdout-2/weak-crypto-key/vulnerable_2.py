# expect: weak-crypto-key line 10
from Crypto.Hash import SHA256
from Crypto.PublicKey import DSA
from Crypto.Signature import DSS

RELEASE_ARCHIVE = "dist/release.tar.gz"


def create_keypair():
    key = DSA.generate(1024)
    with open("dsa_public.pem", "wb") as fh:
        fh.write(key.publickey().export_key())
    return key


def sign_file(key, path):
    with open(path, "rb") as fh:
        digest = SHA256.new(fh.read())
    return DSS.new(key, "fips-186-3").sign(digest)


if __name__ == "__main__":
    keypair = create_keypair()
    print(sign_file(keypair, RELEASE_ARCHIVE).hex())
