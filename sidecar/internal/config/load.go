package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/providers/structs"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
	yamlv3 "gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment variable kamld reads.
const EnvPrefix = "KAMLD_"

// key is one configuration key with its spellings.
type key struct {
	path   string // "blob.s3.endpoint"
	help   string
	secret bool
	kind   reflect.Type
}

func (k key) flag() string { return strings.NewReplacer(".", "-", "_", "-").Replace(k.path) }
func (k key) env() string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_").Replace(k.path))
}

// keys lists every leaf key of Config, in declaration order.
func keys() []key {
	var out []key
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := prefix + f.Tag.Get("koanf")
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
				walk(f.Type, name+".")
				continue
			}
			out = append(out, key{path: name, help: f.Tag.Get("help"), secret: f.Type == reflect.TypeFor[Secret](), kind: f.Type})
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}

// RegisterFlags adds one flag per non-secret key, plus --config.
func RegisterFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (env KAMLD_CONFIG)")
	def := Default()
	k := koanf.New(".")
	_ = k.Load(structs.Provider(def, "koanf"), nil)
	for _, ky := range keys() {
		if ky.secret {
			continue
		}
		help := ky.help + " (env " + ky.env() + ")"
		switch ky.kind.Kind() {
		case reflect.Bool:
			fs.Bool(ky.flag(), k.Bool(ky.path), help)
		case reflect.Int:
			fs.Int(ky.flag(), k.Int(ky.path), help)
		case reflect.Int64:
			if ky.kind == reflect.TypeFor[ByteSize]() {
				v := ByteSize(k.Int64(ky.path))
				fs.Var(byteSizeFlag{&v}, ky.flag(), help)
				continue
			}
			fs.Duration(ky.flag(), k.Duration(ky.path), help)
		case reflect.Slice:
			fs.StringSlice(ky.flag(), k.Strings(ky.path), help)
		default:
			fs.String(ky.flag(), k.String(ky.path), help)
		}
	}
}

// Load builds the effective configuration from defaults, the YAML file, the environment and the flags that
// were set, then validates it.
func Load(fs *pflag.FlagSet, environ []string) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		return Config{}, fmt.Errorf("defaults: %w", err)
	}
	env := envMap(environ)
	path := env["KAMLD_CONFIG"]
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Changed {
			path = f.Value.String()
		}
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	known := map[string]key{}
	for _, ky := range keys() {
		known[ky.path] = ky
		if v, ok := env[ky.env()]; ok {
			if err := k.Set(ky.path, envValue(ky, v)); err != nil {
				return Config{}, fmt.Errorf("%s: %w", ky.env(), err)
			}
		}
	}
	for _, p := range k.Keys() {
		if _, ok := known[p]; !ok {
			return Config{}, fmt.Errorf("config file %s: unknown key %q", path, p)
		}
	}
	if fs != nil {
		flagKeys := map[string]string{}
		for _, ky := range keys() {
			flagKeys[ky.flag()] = ky.path
		}
		err := k.Load(posflag.ProviderWithFlag(fs, ".", k, func(f *pflag.Flag) (string, any) {
			p, ok := flagKeys[f.Name]
			if !ok || !f.Changed {
				return "", nil
			}
			return p, posflag.FlagVal(fs, f)
		}), nil)
		if err != nil {
			return Config{}, fmt.Errorf("flags: %w", err)
		}
	}
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf", FlatPaths: false}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.fillDerived()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			m[k] = v
		}
	}
	return m
}

func envValue(k key, v string) any {
	if k.kind.Kind() == reflect.Slice {
		return strings.Split(v, ",")
	}
	return v
}

// YAML renders the effective configuration with secrets redacted.
func (c Config) YAML() string {
	b, err := yamlv3.Marshal(printable(c))
	if err != nil {
		return fmt.Sprintf("# cannot render config: %v\n", err)
	}
	return string(b)
}

// printable turns the config into nested maps keyed by the YAML names, so the printout reads like the file a
// user would write.
func printable(c Config) map[string]any {
	k := koanf.New(".")
	_ = k.Load(structs.Provider(c, "koanf"), nil)
	out := map[string]any{}
	for _, ky := range keys() {
		v := k.Get(ky.path)
		if ky.secret {
			v = Secret(fmt.Sprint(v)).String()
		}
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		setPath(out, strings.Split(ky.path, "."), v)
	}
	return out
}

func setPath(m map[string]any, path []string, v any) {
	if len(path) == 1 {
		m[path[0]] = v
		return
	}
	sub, ok := m[path[0]].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[path[0]] = sub
	}
	setPath(sub, path[1:], v)
}
