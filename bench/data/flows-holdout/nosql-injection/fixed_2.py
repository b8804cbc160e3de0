# expect: none
# safe: age is an int parameter compared with $gt instead of a $where JavaScript string
from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
collection = MongoClient("mongodb://localhost:27017")["app"]["users"]


@app.get("/users/older-than")
def users_older_than(age: int):
    query = {"age": {"$gt": age}}
    return list(collection.find(query, {"_id": 0, "name": 1, "age": 1}))
