# expect: unsafe-deserialization line 11
import yaml
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/config")
async def upload_config(file: UploadFile):
    content = await file.read()
    config = yaml.load(content, Loader=yaml.Loader)
    return {"sections": list(config)}
