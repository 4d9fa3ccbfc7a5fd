from feed2book.cli import main

main()
