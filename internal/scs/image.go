package scs

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Image is a Glance image: its fields (name, visibility, os_hidden,
// created_at, min_disk, min_ram, size, ...) and its properties, in one
// flat map of strings as the Glance v2 API returns them. A property that
// is null or absent is unset.
type Image struct {
	Props map[string]string
}

// Name is the image's name.
func (img Image) Name() string { return img.Props["name"] }

func (img Image) get(key string) (string, bool) {
	v, ok := img.Props[key]
	return v, ok
}

// Hidden reports os_hidden.
func (img Image) Hidden() bool {
	v, _ := strconv.ParseBool(img.Props["os_hidden"])
	return v
}

// Visibility is the image's visibility; a file that leaves it out
// describes an image to be published, so it counts as public.
func (img Image) Visibility() string {
	if v := img.Props["visibility"]; v != "" {
		return v
	}
	return "public"
}

// ParseImages reads images from YAML or JSON: one image (a mapping), a
// list of images, or a mapping with the list under "images". Properties
// may be given flat, as Glance returns them, or under "properties", as
// "openstack image show" prints them. list reports whether the input was
// a list, i.e. meant as a set of images.
func ParseImages(data []byte) (images []Image, list bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, false, fmt.Errorf("no images: the file is empty")
	}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode {
		if v := mappingValue(root, "images"); v != nil {
			root = v
		}
	}
	switch root.Kind {
	case yaml.MappingNode:
		img, err := imageFrom(root)
		return []Image{img}, false, err
	case yaml.SequenceNode:
		for i, n := range root.Content {
			if n.Kind != yaml.MappingNode {
				return nil, true, fmt.Errorf("line %d: image %d is not a mapping", n.Line, i+1)
			}
			img, err := imageFrom(n)
			if err != nil {
				return nil, true, err
			}
			images = append(images, img)
		}
		return images, true, nil
	}
	return nil, false, fmt.Errorf("line %d: expected an image (a mapping) or a list of images", root.Line)
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func imageFrom(m *yaml.Node) (Image, error) {
	img := Image{Props: map[string]string{}}
	var props *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		if k == "properties" && v.Kind == yaml.MappingNode {
			props = v
			continue
		}
		setProp(img.Props, k, v)
	}
	if props != nil {
		for i := 0; i+1 < len(props.Content); i += 2 {
			setProp(img.Props, props.Content[i].Value, props.Content[i+1])
		}
	}
	if img.Name() == "" {
		return img, fmt.Errorf("line %d: an image needs a name", m.Line)
	}
	return img, nil
}

// setProp keeps scalars as written (a YAML date stays a string); nulls
// and lists (tags, locations) are not properties the standards use.
func setProp(props map[string]string, k string, v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		props[k] = v.Value
	}
}
