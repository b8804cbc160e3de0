# expect: none
# safe: switched to an ECC P-384 key (pycryptodome) instead of 1024-bit DSA
from Crypto.Hash import SHA384
from Crypto.PublicKey import ECC
from Crypto.Signature import DSS

RELEASE_ARCHIVE = "dist/release.tar.gz"


def create_keypair():
    key = ECC.generate(curve="P-384")
    with open("ecc_public.pem", "wt") as fh:
        fh.write(key.public_key().export_key(format="PEM"))
    return key


def sign_file(key, path):
    with open(path, "rb") as fh:
        digest = SHA384.new(fh.read())
    return DSS.new(key, "fips-186-3").sign(digest)


if __name__ == "__main__":
    keypair = create_keypair()
    print(sign_file(keypair, RELEASE_ARCHIVE).hex())
