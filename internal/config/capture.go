package config

// Capture configures how card fields are collected from the keypad.
type Capture struct {
	Terminator string `yaml:"terminator" default:"#" doc:"Key that ends a field before its full length: # or *."`
}

func (c *Capture) validate() error {
	if c.Terminator != "#" && c.Terminator != "*" {
		return errorf("terminator %q: want # or *", c.Terminator)
	}
	return nil
}
