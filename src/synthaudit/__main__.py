from synthaudit.cli import main

main()
