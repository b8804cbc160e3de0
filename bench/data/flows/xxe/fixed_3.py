# expect: none
# safe: defusedxml.ElementTree parses the upload and rejects entity declarations
import defusedxml.ElementTree as ET
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/invoices")
async def upload_invoice(file: UploadFile):
    tree = ET.parse(file.file)
    total = tree.findtext("total")
    return {"total": total}
