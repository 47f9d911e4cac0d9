from envplan.cli.main import main

main()
