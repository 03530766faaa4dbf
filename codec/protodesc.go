package codec

import (
	"encoding/base64"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// The well-known files a registered descriptor may import resolve from the global registry.
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// descriptorFile reads a Protobuf schema registered as a base64-encoded FileDescriptorProto, which
// is what Confluent's serializers register (the Apicurio registry serves it back as stored), where
// others register .proto text. ok is false when text is not such a descriptor: .proto text is never
// valid base64 (it has spaces and semicolons), so the two cannot be mistaken for each other.
// imports holds the schema's references the same way (descriptors, by import path).
func descriptorFile(text string, imports map[string]string) (protoreflect.FileDescriptor, bool, error) {
	fdp, ok := decodeDescriptor(text)
	if !ok {
		return nil, false, nil
	}
	files := new(protoregistry.Files)
	for path, imp := range imports {
		dep, ok := decodeDescriptor(imp)
		if !ok {
			return nil, true, fmt.Errorf("protobuf schema: reference %s is not a base64 FileDescriptorProto like the schema that imports it", path)
		}
		fd, err := protodesc.NewFile(dep, resolvers{files, protoregistry.GlobalFiles})
		if err != nil {
			return nil, true, fmt.Errorf("protobuf schema: reference %s: %w", path, err)
		}
		if err := files.RegisterFile(fd); err != nil {
			return nil, true, fmt.Errorf("protobuf schema: reference %s: %w", path, err)
		}
	}
	fd, err := protodesc.NewFile(fdp, resolvers{files, protoregistry.GlobalFiles})
	if err != nil {
		return nil, true, fmt.Errorf("protobuf schema (a FileDescriptorProto): %w", err)
	}
	return fd, true, nil
}

func decodeDescriptor(text string) (*descriptorpb.FileDescriptorProto, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	fdp := new(descriptorpb.FileDescriptorProto)
	if err := proto.Unmarshal(b, fdp); err != nil || len(fdp.GetMessageType()) == 0 {
		return nil, false
	}
	return fdp, true
}

// resolvers finds a file in the schema's own references first, then among the well-known ones.
type resolvers [2]*protoregistry.Files

func (r resolvers) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	for _, f := range r {
		if fd, err := f.FindFileByPath(path); err == nil {
			return fd, nil
		}
	}
	return nil, fmt.Errorf("import %s: %w", path, protoregistry.NotFound)
}

func (r resolvers) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	for _, f := range r {
		if d, err := f.FindDescriptorByName(name); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", name, protoregistry.NotFound)
}
