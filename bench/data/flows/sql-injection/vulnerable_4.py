# expect: sql-injection line 7
from sqlalchemy import text
from sqlalchemy.orm import Session


def delete_product(session: Session, product_id):
    session.execute(text("DELETE FROM products WHERE id = " + product_id))
    session.commit()
