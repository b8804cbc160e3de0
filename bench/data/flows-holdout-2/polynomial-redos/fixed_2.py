# expect: none
# safe: trailing whitespace removed with str.rstrip instead of a backtracking regex; text length bounded
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class Comment(BaseModel):
    author: str
    text: str = Field(max_length=10000)


def normalize_comment(text: str) -> str:
    text = text.rstrip()
    return text.replace("\r\n", "\n")


@app.post("/comments")
def create_comment(comment: Comment):
    body = normalize_comment(comment.text)
    return {"author": comment.author, "length": len(body)}
