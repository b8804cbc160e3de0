# expect: none
# safe: resolved path is checked with is_relative_to(REPORTS_ROOT) before reading or deleting
from pathlib import Path

from fastapi import FastAPI, HTTPException

app = FastAPI()
REPORTS_ROOT = Path("/srv/reports").resolve()


def report_location(team: str, name: str) -> Path:
    candidate = (REPORTS_ROOT / team / name).resolve()
    if not candidate.is_relative_to(REPORTS_ROOT):
        raise HTTPException(status_code=400, detail="invalid report path")
    return candidate


@app.get("/reports/{team}")
def read_report(team: str, name: str):
    path = report_location(team, name)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HTTPException(status_code=404, detail="report not found")
    return {"team": team, "name": name, "content": content}


@app.delete("/reports/{team}")
def delete_report(team: str, name: str):
    path = report_location(team, name)
    path.unlink(missing_ok=True)
    return {"deleted": name}
