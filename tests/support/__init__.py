"""What the tests share, one module per concern; a test imports the module it needs
(`from tests.support.rotation import holding`). The fixtures built on these are in the
conftest files.

    environment      the one hermetic environment: what every test runs in (the caller's
                     GH_*, GITHUB_*, CCAT_*, TERM, NO_COLOR, CI... never reach it), and
                     what a `ccat` child process or an in-process command line adds
    emulator         the tokens and repositories of the usual emulator; authenticate, seal
    rotation         the rotation tests' targets, the one graph writer (write_graph), a
                     rotation through the engine (rotate), what the emulator received
                     and holds, the token-leak check, a rotation in a child process
    journals         the one RotationRun builder (a_run), a journal file holding runs
    scene            the status scene with every warning at once
    terminal         a real `python -m ccat` on a pseudo-terminal
    fake_time        a clock for the client that moves only when it sleeps
    client_events    one ordered record of what the client and the engine did
    connection_faults  hosts that do not answer
    actions_runner   the GitHub Actions runner's reading of a step's output
    github_markdown  Markdown as GitHub renders it
    screens, screen_width  does a screen read well at a width
    untrusted_text   hostile text for the untrusted-text doors
    contract_report  the plugin that prints what the contract tests covered
"""
