"""A Docker engine and a Debian bookworm base image, on a machine that may have neither.

Used by docker/bench.py (make docker-bench) and tests/docker (make test-docker):

    with DockerEngine():                 # starts dockerd when none answers, stops it after
        base = local_base_image()        # debootstrap bookworm + docker import, cached
        image = build_image(base, "allocmark:local")

No image is pulled: the base image is built from the Debian mirror apt uses.
"""
import hashlib
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BASE_IMAGE = "allocmark-base:bookworm"


def log(message):
    print(f"allocmark-docker: {message}", file=sys.stderr, flush=True)


def install_packages(packages):
    """apt-get installs the Debian packages that are missing, without starting their services."""
    missing = [p for p in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout != "install ok installed"]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"allocmark-docker: missing Debian packages ({' '.join(missing)}): run as root or install them")
    log(f"installing {' '.join(missing)}")
    # Services are started (and stopped) by whoever needs them, not by the package's postinst.
    policy = pathlib.Path("/usr/sbin/policy-rc.d")
    added_policy = not policy.exists()
    if added_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    finally:
        if added_policy:
            policy.unlink()


def docker_answers():
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


class DockerEngine:
    """Context manager: a Docker engine that answers. Starts dockerd when `docker info`
    fails, and stops that dockerd (only that one) on exit, failure included."""

    def __init__(self, timeout_s=60):
        self.timeout_s = timeout_s
        self.process = None

    def __enter__(self):
        install_packages(["docker.io", "debootstrap"])
        if docker_answers():
            return self
        log_file = tempfile.NamedTemporaryFile(prefix="allocmark-dockerd-", suffix=".log", delete=False)
        log(f"starting dockerd (log: {log_file.name})")
        self.process = subprocess.Popen(["dockerd"], stdout=log_file, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + self.timeout_s
        while not docker_answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                sys.exit(f"allocmark-docker: dockerd did not start: see {log_file.name}")
            time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        if self.process is None:
            return False
        log("stopping the dockerd it started")
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        return False


def apt_sources():
    """The mirror apt uses for bookworm's main suite, and the files that configure it."""
    files = [p for p in (pathlib.Path("/etc/apt/sources.list"), pathlib.Path("/etc/apt/sources.list.d/debian.sources"))
             if p.exists()]
    for f in files:
        text = f.read_text()
        deb822 = re.findall(r"^URIs:\s*(\S+)", text, re.M)
        one_line = re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M)
        for uri in deb822 + one_line:
            if "security" not in uri:
                return uri, files
    return "http://deb.debian.org/debian", files


def machine_files():
    """Host files the base image carries, as {path in the image: host path}: apt's sources
    (the image installs the packages the host has) and the local CA certificates (a machine
    behind a TLS-inspecting proxy reaches the npm registry only with them)."""
    mirror, source_files = apt_sources()
    files = {str(f): f for f in source_files}
    local_cas = pathlib.Path("/usr/local/share/ca-certificates")
    if local_cas.is_dir():
        files.update({str(f): f for f in sorted(local_cas.rglob("*.crt"))})
    return mirror, files


def inputs_digest(mirror, files):
    digest = hashlib.sha256(mirror.encode())
    for path, host in sorted(files.items()):
        digest.update(path.encode() + b"\0" + host.read_bytes())
    return digest.hexdigest()[:16]


def local_base_image(name=BASE_IMAGE):
    """A Debian bookworm image built with debootstrap from apt's mirror and `docker import`ed,
    with the machine's apt sources and local CA certificates. Built once per machine, and
    again only when those change. Returns its name."""
    mirror, files = machine_files()
    digest = inputs_digest(mirror, files)
    label = subprocess.run(["docker", "image", "inspect", "-f", '{{index .Config.Labels "allocmark.inputs"}}', name],
                           capture_output=True, text=True).stdout.strip()
    if label == digest:
        return name
    log(f"building the base image {name} with debootstrap from {mirror} (a minute or two, once)")
    root = pathlib.Path(tempfile.mkdtemp(prefix="allocmark-debootstrap-"))
    try:
        proc = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(root), mirror],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"allocmark-docker: debootstrap failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        if "/etc/apt/sources.list" not in files:  # deb822 sources only: no duplicate list
            (root / "etc/apt/sources.list").unlink(missing_ok=True)
        for path, host in files.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(host, target)
        changes = ["CMD [\"bash\"]", f"LABEL allocmark.inputs={digest}",
                   # Debian's node reads its own CA list; this adds the system's, local CAs included.
                   "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"]
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", *(f"--change={c}" for c in changes), "-", name], stdin=tar.stdout,
                       check=True, stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            sys.exit("allocmark-docker: tar of the debootstrap tree failed")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return name


def git_revision():
    """HEAD of the checkout, with -dirty when tracked files changed; '' outside git."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return ""
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


MIRROR_IN_CONTEXT = REPO / "docker" / "git-mirror"


def build_image(base, tag, upstream_allocators="all", git_mirror=""):
    """docker build of docker/Dockerfile from the checkout. Returns the image id.
    `git_mirror`: a directory of <repo>.git mirrors the image clones the
    upstream allocators from (copied into the build context for the build)."""
    previous = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", tag],
                              capture_output=True, text=True).stdout.strip()
    build_log = tempfile.NamedTemporaryFile(prefix="allocmark-docker-build-", suffix=".log", delete=False)
    log(f"building {tag} from {base} (log: {build_log.name})")
    shutil.rmtree(MIRROR_IN_CONTEXT, ignore_errors=True)
    if git_mirror:
        for repo in sorted(pathlib.Path(git_mirror).glob("*.git")):
            shutil.copytree(repo, MIRROR_IN_CONTEXT / repo.name, symlinks=True)
    try:
        proc = subprocess.run(["docker", "build", "--force-rm", "-f", str(REPO / "docker/Dockerfile"),
                               "--build-arg", f"BASE={base}", "--build-arg", f"IMAGE={tag}",
                               "--build-arg", f"GIT_REVISION={git_revision()}",
                               "--build-arg", f"UPSTREAM_ALLOCATORS={upstream_allocators or 'none'}",
                               "-t", tag, str(REPO)], stdout=build_log, stderr=subprocess.STDOUT)
    finally:
        shutil.rmtree(MIRROR_IN_CONTEXT, ignore_errors=True)
    if proc.returncode != 0:
        tail = pathlib.Path(build_log.name).read_text(errors="replace")[-3000:]
        sys.exit(f"allocmark-docker: docker build failed (log: {build_log.name}):\n{tail}")
    os.unlink(build_log.name)
    image_id = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", tag], check=True,
                              capture_output=True, text=True).stdout.strip()
    if previous and previous != image_id:  # the image this tag named before: no dangling images pile up
        subprocess.run(["docker", "image", "rm", previous], capture_output=True)
    return image_id
