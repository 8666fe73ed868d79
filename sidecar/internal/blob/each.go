package blob

import "context"

// Each calls fn for every object under prefix, in key order, a page at a time; it stops at fn's first
// error and returns it.
func Each(ctx context.Context, s Store, prefix string, fn func(Info) error) error {
	after := ""
	for {
		page, err := s.List(ctx, ListOptions{Prefix: prefix, StartAfter: after})
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		if !page.More || len(page.Objects) == 0 {
			return nil
		}
		after = page.Objects[len(page.Objects)-1].Key
	}
}
