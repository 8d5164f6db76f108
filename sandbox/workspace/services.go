package workspace

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Service is a database a workspace declares in coach.yaml (`services:`).
// It runs as a container of the server's pod, so the server reaches it on
// 127.0.0.1 and nothing else.
type Service struct {
	Name string `yaml:"-"` // a key of the catalogue: postgres, redis, mariadb
	// Version picks the image tag (postgres:<version>-bookworm, ...); empty
	// means the catalogue's default.
	Version string `yaml:"version"`
	// Database is the database created for the server; empty means "app".
	Database string `yaml:"database"`
	// Image replaces the image entirely (a registry mirror, a local build).
	Image string `yaml:"image"`
}

// serviceKind is one entry of the catalogue.
type serviceKind struct {
	// image is the image reference with %s for the version.
	image, version string
	port           int
	// user is the image's unprivileged user: coach runs the entrypoint as
	// that user, so the container needs no capability at all (the official
	// images' entrypoints skip their chown/gosu step when not root).
	user string
	// dataDir holds the data, on the service's own volume; tmpfs lists the
	// other directories the server writes to (the root file system is
	// read-only).
	dataDir string
	tmpfs   []string
	// env is the container's environment, ready the command run inside the
	// container (in the pod's namespace) that exits 0 once the service
	// accepts connections on 127.0.0.1 with its database created.
	env, ready func(s Service) []string
	// serverEnv is what the learner's server is told.
	serverEnv func(s Service) map[string]string
}

// Fixed credentials: a service is reachable from the pod's loopback only,
// by the one server of one run, and is removed with the run.
const (
	serviceUser     = "coach"
	servicePassword = "coach"
	serviceDatabase = "app"
)

// services is the catalogue.
var services = map[string]serviceKind{
	"postgres": {
		image: "postgres:%s-bookworm", version: "16", port: 5432, user: "postgres",
		dataDir: "/var/lib/postgresql/data", tmpfs: []string{"/var/run/postgresql", "/tmp"},
		env: func(s Service) []string {
			return []string{"POSTGRES_USER=" + serviceUser, "POSTGRES_PASSWORD=" + servicePassword, "POSTGRES_DB=" + s.database()}
		},
		ready: func(s Service) []string {
			return []string{"pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-U", serviceUser, "-d", s.database()}
		},
		serverEnv: func(s Service) map[string]string {
			return map[string]string{
				"DATABASE_URL": "postgres://" + serviceUser + ":" + servicePassword + "@127.0.0.1:5432/" + s.database() + "?sslmode=disable",
				"PGHOST":       "127.0.0.1", "PGPORT": "5432", "PGUSER": serviceUser, "PGPASSWORD": servicePassword,
				"PGDATABASE": s.database(),
			}
		},
	},
	"redis": {
		image: "redis:%s-bookworm", version: "7", port: 6379, user: "redis",
		dataDir: "/data", tmpfs: []string{"/tmp"},
		env: func(Service) []string { return nil },
		ready: func(Service) []string {
			return []string{"sh", "-c", `[ "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG ]`}
		},
		serverEnv: func(Service) map[string]string {
			return map[string]string{"REDIS_URL": "redis://127.0.0.1:6379"}
		},
	},
	"mariadb": {
		image: "mariadb:%s", version: "11", port: 3306, user: "mysql",
		dataDir: "/var/lib/mysql", tmpfs: []string{"/run/mysqld", "/tmp"},
		env: func(s Service) []string {
			return []string{"MARIADB_ROOT_PASSWORD=" + servicePassword, "MARIADB_USER=" + serviceUser,
				"MARIADB_PASSWORD=" + servicePassword, "MARIADB_DATABASE=" + s.database()}
		},
		ready: func(s Service) []string {
			return []string{"mariadb", "-h", "127.0.0.1", "-P", "3306", "--protocol=tcp", "-u" + serviceUser,
				"-p" + servicePassword, s.database(), "-e", "SELECT 1"}
		},
		serverEnv: func(s Service) map[string]string {
			url := "mysql://" + serviceUser + ":" + servicePassword + "@127.0.0.1:3306/" + s.database()
			return map[string]string{"MYSQL_URL": url, "DATABASE_URL": url}
		},
	},
}

// serviceFor maps the database names the output diagnosis uses
// (diagnose.go) to the service that provides one.
var serviceFor = map[string]string{"PostgreSQL": "postgres", "Redis": "redis", "MySQL/MariaDB": "mariadb"}

// ServiceAdvice says how to get the database db as a service, "" when
// coach offers none.
func ServiceAdvice(db string) string {
	name, ok := serviceFor[db]
	if !ok {
		return ""
	}
	s := Service{Name: name}
	return fmt.Sprintf("add `services: [%s]` to coach.yaml and coach runs %s beside your server, on 127.0.0.1:%d, "+
		"and sets %s", name, db, s.Port(), strings.Join(slices.Sorted(maps.Keys(s.kind().serverEnv(s))), ", "))
}

// ServiceNames lists the catalogue, sorted.
func ServiceNames() []string { return slices.Sorted(maps.Keys(services)) }

func (s Service) kind() serviceKind { return services[s.Name] }

func (s Service) database() string {
	if s.Database == "" {
		return serviceDatabase
	}
	return s.Database
}

// ImageRef is the image the service runs.
func (s Service) ImageRef() string {
	if s.Image != "" {
		return s.Image
	}
	k := s.kind()
	v := s.Version
	if v == "" {
		v = k.version
	}
	return fmt.Sprintf(k.image, v)
}

// Port is the service's port on the pod's loopback.
func (s Service) Port() int { return s.kind().port }

// The container of a service, as the catalogue describes it, for the
// backend that runs it.

// User is the image's unprivileged user the service runs as.
func (s Service) User() string { return s.kind().user }

// DataDir is where the service keeps its data (its own volume).
func (s Service) DataDir() string { return s.kind().dataDir }

// Tmpfs lists the other directories the service writes to.
func (s Service) Tmpfs() []string { return s.kind().tmpfs }

// Env is the service container's environment.
func (s Service) Env() []string { return s.kind().env(s) }

// Ready is the command, run inside the service's container, that exits 0
// once the service accepts connections with its database created.
func (s Service) Ready() []string { return s.kind().ready(s) }

// Services is coach.yaml's `services:`, either a list of names
// (`[postgres, redis]`) or a map of name to settings
// (`{postgres: {version: "16", database: app}, redis: {}}`), sorted by name.
type Services []Service

// UnmarshalYAML reads both forms and rejects unknown names and keys.
func (ss *Services) UnmarshalYAML(n *yaml.Node) error {
	var out Services
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			var name string
			if err := item.Decode(&name); err != nil {
				return fmt.Errorf("services: line %d: want a service name", item.Line)
			}
			out = append(out, Service{Name: name})
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			s := Service{Name: n.Content[i].Value}
			if v := n.Content[i+1]; !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) {
				if err := decodeStrict(v, &s); err != nil {
					return fmt.Errorf("services.%s: %w", s.Name, err)
				}
			}
			out = append(out, s)
		}
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			break
		}
		out = append(out, Service{Name: n.Value})
	default:
		return fmt.Errorf("services: line %d: want a list of names or a map", n.Line)
	}
	seen := map[string]bool{}
	for _, s := range out {
		if _, ok := services[s.Name]; !ok {
			return fmt.Errorf("unknown service %q (coach offers %s)", s.Name, strings.Join(ServiceNames(), ", "))
		}
		if seen[s.Name] {
			return fmt.Errorf("service %q is declared twice", s.Name)
		}
		seen[s.Name] = true
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	*ss = out
	return nil
}

// decodeStrict decodes a service's settings, rejecting unknown keys.
func decodeStrict(n *yaml.Node, s *Service) error {
	allowed := map[string]bool{"version": true, "database": true, "image": true}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want version, database or image", n.Line)
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !allowed[k] {
			return fmt.Errorf("line %d: unknown key %q (want version, database or image)", n.Content[i].Line, k)
		}
	}
	name := s.Name
	if err := n.Decode(s); err != nil {
		return err
	}
	s.Name = name
	return nil
}

// With adds the named services not declared yet (an exercise's required
// services), with the catalogue's defaults.
func (ss Services) With(names ...string) Services {
	out := slices.Clone(ss)
	for _, n := range names {
		if !slices.Contains(out.Names(), n) {
			out = append(out, Service{Name: n})
		}
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names lists the declared services.
func (ss Services) Names() []string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return names
}

// ServerEnv is the environment the server gets for its services: the
// variables each service's clients read by default. DATABASE_URL is the
// Postgres URL when Postgres is declared, else MariaDB's.
func (ss Services) ServerEnv() map[string]string {
	env := map[string]string{}
	for _, s := range ss {
		for k, v := range s.kind().serverEnv(s) {
			if k == "DATABASE_URL" && env[k] != "" && s.Name != "postgres" {
				continue
			}
			env[k] = v
		}
	}
	return env
}

// Describe is one line per service for `coach start` and progress output:
// name, address and the variables the server reads.
func (ss Services) Describe() []string {
	var lines []string
	env := ss.ServerEnv()
	for _, s := range ss {
		var vars []string
		for _, k := range slices.Sorted(maps.Keys(s.kind().serverEnv(s))) {
			if env[k] == s.kind().serverEnv(s)[k] {
				vars = append(vars, k)
			}
		}
		lines = append(lines, fmt.Sprintf("%s (%s) on 127.0.0.1:%s: %s", s.Name, s.ImageRef(),
			strconv.Itoa(s.Port()), strings.Join(vars, ", ")))
	}
	return lines
}
