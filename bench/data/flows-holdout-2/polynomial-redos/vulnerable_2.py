# expect: polynomial-redos line 16
import re

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Comment(BaseModel):
    author: str
    text: str


def normalize_comment(text: str) -> str:
    text = re.sub(r"\s+$", "", text)
    return text.replace("\r\n", "\n")


@app.post("/comments")
def create_comment(comment: Comment):
    body = normalize_comment(comment.text)
    return {"author": comment.author, "length": len(body)}
