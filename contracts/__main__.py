from contracts.run import main

raise SystemExit(main())
