"""minibatch worker host: what minibatch starts (`<python> -u minibatch_host.py …`; the modes and the
protocol are described in _minibatch_host/__init__.py, the host itself).

The host is imported as a package, not run as this script, so that Python caches its compiled code
in __pycache__ beside it: compiling its ~750 lines again at every start cost ~9 ms of each run's
start-up. The modules worker mode needs are imported here, within that window; debug mode's own
module is imported when it runs. That cache is written even under PYTHONDONTWRITEBYTECODE (common
in container images), which is about the user's code, not ours; where the folder cannot be
written, Python compiles it as before.
"""
import sys

dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
try:
    from _minibatch_host import main
finally:
    sys.dont_write_bytecode = dont_write

main(sys.argv[1:])
