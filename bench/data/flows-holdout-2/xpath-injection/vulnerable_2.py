# expect: xpath-injection line 9
from lxml import etree

CATALOG_FILE = "catalog.xml"


def find_book_title(isbn):
    root = etree.parse(CATALOG_FILE).getroot()
    book = root.find(".//book[@isbn='" + isbn + "']")
    if book is None:
        return None
    return book.findtext("title")


def main():
    isbn = input("ISBN to look up: ").strip()
    title = find_book_title(isbn)
    print(title or "not found")


if __name__ == "__main__":
    main()
