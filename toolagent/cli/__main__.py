from toolagent.cli import main

main()
