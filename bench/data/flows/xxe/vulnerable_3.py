# expect: xxe line 10, 11
from fastapi import FastAPI, UploadFile
from lxml import etree

app = FastAPI()


@app.post("/invoices")
async def upload_invoice(file: UploadFile):
    parser = etree.XMLParser(load_dtd=True, resolve_entities=True)
    tree = etree.parse(file.file, parser)
    total = tree.findtext("total")
    return {"total": total}
