# expect: insecure-temporary-file line 7, 8
import os
import subprocess


def convert_upload(data: bytes) -> bytes:
    src = os.path.join("/tmp", f"upload-{os.getpid()}.docx")
    with open(src, "wb") as f:
        f.write(data)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", "/tmp", src], check=True)
    with open(src.replace(".docx", ".pdf"), "rb") as f:
        return f.read()
