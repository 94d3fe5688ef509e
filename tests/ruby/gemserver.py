"""A local gem server: real .gem files served over HTTP with Basic auth, as rubygems.org is out of reach.

The gems are built here from what Debian's `ruby-rack`, `ruby-webrick`,
`ruby-sinatra` (and its dependencies) packages install (their gemspec and files under /usr/share/rubygems-integration),
plus two small gems written here with a C extension: `hello_ext` (compiles) and
`broken_ext` (does not). `gem generate_index` writes the static index Bundler
falls back to when a server has no compact index (specs.4.8.gz and
quick/Marshal.4.8/*.gemspec.rz); Python's http.server serves the directory.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEBIAN_GEMS = ("rack", "webrick", "sinatra", "mustermann", "rack-protection", "tilt", "ruby2_keywords")
USER, PASSWORD = "gemuser", "gem-s3cret-7f3a"

_BUILD = r'''
require "rubygems/package"
require "fileutils"
out, work = ARGV
def package(spec, dir, out)
  Dir.chdir(dir) do
    spec.files = Dir.glob("**/*", File::FNM_DOTMATCH).select { |f| File.file?(f) }.sort
    FileUtils.mv(Gem::Package.build(spec), out)
  end
end
DEBIAN_GEMS.each do |name|
  spec = Gem::Specification.load(Dir["/usr/share/rubygems-integration/all/specifications/#{name}-*.gemspec"].first)
  dir = File.join(work, spec.full_name)
  installed = "/usr/share/rubygems-integration/all/gems/#{spec.full_name}"
  if File.directory?(installed)
    FileUtils.cp_r(installed, dir)
  else  # older gem2deb layout (ruby-tilt): code in vendor_ruby, executables in /usr/bin
    FileUtils.mkdir_p(File.join(dir, "lib"))
    FileUtils.mkdir_p(File.join(dir, "bin"))
    Dir["/usr/lib/ruby/vendor_ruby/#{name}{.rb,}"].each { |path| FileUtils.cp_r(path, File.join(dir, "lib")) }
    spec.executables.each { |exe| FileUtils.cp("/usr/bin/#{exe}", File.join(dir, "bin")) }
    spec.bindir = "bin"
    spec.require_paths = ["lib"]
  end
  bindir = File.join(dir, spec.bindir || "bin")  # Debian's gemspecs drop executables (they go to /usr/bin)
  spec.executables = File.directory?(bindir) ? Dir.children(bindir).sort : []
  spec.signing_key = nil
  spec.cert_chain = []
  package(spec, dir, out)
end
{ "hello_ext" => 'rb_define_module_function(m, "greet", greet, 0);',
  "broken_ext" => 'this is not C;' }.each do |name, body|
  dir = File.join(work, name)
  FileUtils.mkdir_p(File.join(dir, "ext", name))
  FileUtils.mkdir_p(File.join(dir, "lib"))
  File.write(File.join(dir, "ext", name, "extconf.rb"), "require 'mkmf'\ncreate_makefile('#{name}/#{name}')\n")
  File.write(File.join(dir, "ext", name, "#{name}.c"), <<~C)
    #include <ruby.h>
    static VALUE greet(VALUE self) { return rb_str_new_cstr("hello from C"); }
    void Init_#{name}(void) { VALUE m = rb_define_module("#{name.split('_').map(&:capitalize).join}"); #{body} }
  C
  File.write(File.join(dir, "lib", "#{name}.rb"), "require '#{name}/#{name}'\n")
  spec = Gem::Specification.new do |s|
    s.name = name
    s.version = "1.0.0"
    s.summary = "a dockless test gem with a C extension"
    s.authors = ["dockless"]
    s.license = "MIT"
    s.extensions = ["ext/#{name}/extconf.rb"]
  end
  package(spec, dir, out)
end
'''.replace("DEBIAN_GEMS.each", "%w[" + " ".join(DEBIAN_GEMS) + "].each")


@dataclass
class GemServer:
    """A running gem server: its URL (no credentials in it), the credentials, and the paths asked for."""

    url: str
    user: str = USER
    password: str = PASSWORD
    requests: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1].split(":", 1)[0]

    def mirror_env(self) -> dict[str, str]:
        """Bundler's `mirror.all` pointing here, credentials in the URL: Bundler 2.6.7 sends `BUNDLE_<HOST>`
        credentials with a mirror's index requests but not with its .gem downloads (seen here: 401)."""
        return {"BUNDLE_MIRROR__ALL": self.url.replace("//", f"//{self.user}:{self.password}@")}

    def credentials_env(self) -> dict[str, str]:
        """Bundler's per-host credentials setting (`BUNDLE_<HOST>`, dots as `__`), for `--env`."""
        return {f"BUNDLE_{self.host.replace('.', '__').upper()}": f"{self.user}:{self.password}"}


def build_gem_repo(root: Path) -> Path:
    """A gem server directory under `root`: gems/*.gem and the index `gem generate_index` writes."""
    gems = root / "gems"
    gems.mkdir(parents=True)
    work = root / "work"
    work.mkdir()
    subprocess.run(["ruby", "-e", _BUILD, str(gems), str(work)], check=True, capture_output=True)
    shutil.rmtree(work)
    subprocess.run(["gem", "generate_index", "--directory", str(root)], check=True, capture_output=True)
    return root


class _Handler(SimpleHTTPRequestHandler):
    expected = ""
    server_record: GemServer

    def do_GET(self) -> None:
        self.server_record.requests.append(self.path)
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="gems"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_gem_server(directory: Path) -> Iterator[GemServer]:
    """Serve `directory` on a free 127.0.0.1 port with Basic auth until the block ends."""
    record = GemServer("")
    token = base64.b64encode(f"{record.user}:{record.password}".encode()).decode()
    handler = type("Handler", (_Handler,), {"expected": f"Basic {token}", "server_record": record})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    record.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()
