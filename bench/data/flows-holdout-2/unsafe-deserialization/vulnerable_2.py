# expect: unsafe-deserialization line 11
import yaml
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/pipelines/validate")
async def validate_pipeline(request: Request):
    raw = await request.body()
    config = yaml.load(raw, Loader=yaml.Loader)
    if not isinstance(config, dict):
        return {"valid": False, "reason": "top level must be a mapping"}
    stages = config.get("stages", [])
    return {"valid": bool(stages), "stage_count": len(stages)}
