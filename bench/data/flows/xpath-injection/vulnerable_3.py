# expect: xpath-injection line 8
from lxml import etree


def main():
    doc = etree.parse("employees.xml")
    emp_id = input("Employee id: ")
    salary = doc.xpath("//employee[id='%s']/salary/text()" % emp_id)
    print(salary[0] if salary else "not found")


if __name__ == "__main__":
    main()
