# expect: none
# safe: compiled XPath with an $author variable, the value passed at evaluation
from lxml import etree

FIND_TITLES = etree.XPath("//book[author=$author]/title/text()")


def find_book_titles(author):
    doc = etree.parse("library.xml", etree.XMLParser(resolve_entities=False, no_network=True))
    return [str(t) for t in FIND_TITLES(doc, author=author)]


if __name__ == "__main__":
    who = input("Author: ")
    for title in find_book_titles(who):
        print(title)
