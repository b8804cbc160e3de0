# expect: none
# safe: int() cast: only a number can reach the XPath expression
from lxml import etree


def main():
    doc = etree.parse("employees.xml")
    emp_id = int(input("Employee id: "))
    salary = doc.xpath("//employee[id='%d']/salary/text()" % emp_id)
    print(salary[0] if salary else "not found")


if __name__ == "__main__":
    main()
