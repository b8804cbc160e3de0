# expect: path-injection line 14, 23
from pathlib import Path

from fastapi import FastAPI, HTTPException

app = FastAPI()
REPORTS_ROOT = Path("/srv/reports")


@app.get("/reports/{team}")
def read_report(team: str, name: str):
    path = REPORTS_ROOT / team / name
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HTTPException(status_code=404, detail="report not found")
    return {"team": team, "name": name, "content": content}


@app.delete("/reports/{team}")
def delete_report(team: str, name: str):
    path = REPORTS_ROOT / team / name
    path.unlink(missing_ok=True)
    return {"deleted": name}
