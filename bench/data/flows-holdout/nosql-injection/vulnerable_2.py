# expect: nosql-injection line 11, 12
from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
collection = MongoClient("mongodb://localhost:27017")["app"]["users"]


@app.get("/users/older-than")
def users_older_than(age: str):
    query = {"$where": "this.age > " + age}
    return list(collection.find(query, {"_id": 0, "name": 1, "age": 1}))
