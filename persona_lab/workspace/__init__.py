"""Workspaces on disk and long analyses as jobs: pure Python, used by the app and the CLI alike."""

from persona_lab.workspace.archive import export_workspace, import_workspace
from persona_lab.workspace.jobs import Job, JobRunner
from persona_lab.workspace.store import ReadOnly, Workspace, WorkspaceStore, default_data_dir

__all__ = ["Job", "JobRunner", "ReadOnly", "Workspace", "WorkspaceStore", "default_data_dir",
           "export_workspace", "import_workspace"]
