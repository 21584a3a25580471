from laaciq.cli import main

raise SystemExit(main())
