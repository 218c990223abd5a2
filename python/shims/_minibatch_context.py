"""What the minibatch host tells the shims at init (private; set once per worker process)."""

context = {
    'entry': '',
    'workingDir': '',
    'logDir': '',
    'outputDir': '',
    'agentName': '',
    'models': {},
    'inputs': {},
}


def configure(init):
    for key in context:
        if key in init:
            context[key] = init[key]
