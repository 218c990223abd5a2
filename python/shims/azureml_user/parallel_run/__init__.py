"""`from azureml_user.parallel_run import EntryScript` as on Azure ML (docs/ARCHITECTURE.md, "Entry script").

Values come from the minibatch host's init message; `logger` writes to this worker's entry log
(logs/user/entry_script_log/<worker>.txt) with timestamps, at the run's loggingLevel.
"""

import logging

from _minibatch_context import context

__all__ = ['EntryScript']


class EntryScript:
    """The entry script's view of its run: logger and folders, as Azure ML's EntryScript."""

    @property
    def logger(self):
        return logging.getLogger('EntryScript')

    @property
    def log_dir(self):
        """The run's user log folder (logs/user)."""
        return context['logDir']

    @property
    def output_dir(self):
        """The outputData path, where a summary_only script writes its outputs."""
        return context['outputDir']

    @property
    def working_dir(self):
        """The entry script's folder (also the current directory)."""
        return context['workingDir']

    @property
    def agent_name(self):
        """The name of this worker process."""
        return context['agentName']

    def __repr__(self):
        return 'EntryScript(agent_name=%r, output_dir=%r)' % (self.agent_name, self.output_dir)
