package chaosmask

import (
	"strings"
	"sync"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

const pluginName = "chaosmask"

func init() {
	plugin.Register(pluginName, setup)
	// CoreDNS refuses every non-IN query unless a plugin named here is in
	// the chain; chaosmask must see CH queries to answer them.
	dnsserver.EnableChaos[pluginName] = struct{}{}
}

func setup(c *caddy.Controller) error {
	cm, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	cfg := dnsserver.GetConfig(c)
	// Asked on the first non-IN query, when every server of the block is
	// built: the registry is complete by then.
	cm.othersOpen = sync.OnceValue(func() bool {
		for name := range dnsserver.EnableChaos {
			if name != pluginName && cfg.Handler(name) != nil {
				return true
			}
		}
		return false
	})
	// A block with several keys builds one chain per key: one handler each.
	cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
		h := *cm
		h.Next = next
		return &h
	})
	return nil
}

// parse reads one chaosmask block. A bare chaosmask hides everything.
func parse(c *caddy.Controller) (*Chaosmask, error) {
	cm := &Chaosmask{hideNSID: true}
	cm.replies[nameOther].action = actRefuse
	for i := 0; c.Next(); i++ {
		if i > 0 {
			return nil, c.Err(plugin.ErrOnce.Error() + "; merge the chaosmask blocks into one")
		}
		if args := c.RemainingArgs(); len(args) > 0 {
			return nil, c.Errf("unexpected argument %q: chaosmask takes its options in a block, e.g. chaosmask { version none }", args[0])
		}
		seen := map[string]bool{}
		for c.NextBlock() {
			opt, args := c.Val(), c.RemainingArgs()
			if seen[opt] {
				return nil, c.Errf("%s is given twice; give it once", opt)
			}
			seen[opt] = true
			if err := parseOption(c, cm, opt, args); err != nil {
				return nil, err
			}
		}
	}
	return cm, nil
}

func parseOption(c *caddy.Controller, cm *Chaosmask, opt string, args []string) error {
	switch opt {
	case "version", "hostname", "id", "authors":
		return parseReply(c, cm, opt, args)
	case "other":
		if len(args) != 1 {
			return c.Errf("other takes one argument, none or refuse")
		}
		switch a := keyword(args[0]); a {
		case actNone, actRefuse:
			cm.replies[nameOther].action = a
		default:
			return c.Errf("other %q: want none or refuse (only the four identity names take a TEXT)", args[0])
		}
	case "nsid":
		if len(args) != 1 {
			return c.Errf("nsid takes one argument, hide or pass")
		}
		switch strings.ToLower(args[0]) {
		case "hide":
			cm.hideNSID = true
		case "pass":
			cm.hideNSID = false
		default:
			return c.Errf("nsid %q: want hide or pass", args[0])
		}
	case "reveal":
		if len(args) == 0 {
			return c.Errf("reveal needs at least one address match list element, e.g. reveal 127.0.0.1 ::1")
		}
		var env addrmatch.Env
		l, err := env.Compile(args)
		if err != nil {
			return c.Errf("parsing reveal %v", err)
		}
		cm.reveal = l
	default:
		return c.Errf("unknown option %q; chaosmask knows version, hostname, id, authors, other, nsid and reveal", opt)
	}
	return nil
}

// parseReply reads `NAME TEXT | none | refuse` into the replies of the names
// opt sets; authors may list several TEXTs, one TXT each, as BIND answers authors.bind.
func parseReply(c *caddy.Controller, cm *Chaosmask, opt string, args []string) error {
	if len(args) == 0 {
		return c.Errf("%s needs TEXT, none or refuse", opt)
	}
	rep := reply{action: actText}
	if len(args) == 1 {
		rep.action = keyword(args[0])
	} else if opt != "authors" {
		return c.Errf("%s takes one TEXT, none or refuse, got %d arguments; quote text with spaces: %s \"%s\"", opt, len(args), opt, strings.Join(args, " "))
	}
	if rep.action == actText {
		for _, a := range args {
			if keyword(a) != actText {
				return c.Errf("%s: %s cannot be mixed with TEXT", opt, a)
			}
			if len(a) > maxText {
				return c.Errf("%s text is %d bytes; at most %d are answered", opt, len(a), maxText)
			}
			rep.txt = append(rep.txt, splitText(a))
		}
	}
	for i, o := range nameOptions {
		if o == opt {
			cm.replies[i] = rep
		}
	}
	return nil
}

// keyword maps none and refuse (any case) to their actions, anything else to actText.
func keyword(s string) action {
	for _, a := range []action{actNone, actRefuse} {
		if strings.EqualFold(s, a.String()) {
			return a
		}
	}
	return actText
}
