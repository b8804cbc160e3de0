# expect: none
# safe: yaml.safe_load builds only plain data types
import yaml
from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI()


@app.post("/config")
async def upload_config(file: UploadFile):
    content = await file.read()
    config = yaml.safe_load(content)
    if not isinstance(config, dict):
        raise HTTPException(status_code=400, detail="config must be a mapping")
    return {"sections": list(config)}
