# expect: xpath-injection line 7, 8
from lxml import etree


def find_book_titles(author):
    doc = etree.parse("library.xml", etree.XMLParser(resolve_entities=False, no_network=True))
    query = "//book[author='{}']/title/text()".format(author)
    finder = etree.XPath(query)
    return [str(t) for t in finder(doc)]


if __name__ == "__main__":
    who = input("Author: ")
    for title in find_book_titles(who):
        print(title)
