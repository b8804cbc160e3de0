# expect: none
# safe: yaml.safe_load only builds plain Python data types
import yaml
from fastapi import FastAPI, HTTPException, Request

app = FastAPI()


@app.post("/pipelines/validate")
async def validate_pipeline(request: Request):
    raw = await request.body()
    try:
        config = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise HTTPException(status_code=400, detail="invalid YAML")
    if not isinstance(config, dict):
        return {"valid": False, "reason": "top level must be a mapping"}
    stages = config.get("stages", [])
    return {"valid": bool(stages), "stage_count": len(stages)}
