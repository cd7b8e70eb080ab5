from escalate_cli.cli import main

main()
