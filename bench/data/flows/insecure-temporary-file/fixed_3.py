# expect: none
# safe: a private directory from tempfile.TemporaryDirectory, removed afterwards
import os
import subprocess
import tempfile


def convert_upload(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as workdir:
        src = os.path.join(workdir, "upload.docx")
        with open(src, "wb") as f:
            f.write(data)
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", workdir, src], check=True)
        with open(os.path.join(workdir, "upload.pdf"), "rb") as f:
            return f.read()
