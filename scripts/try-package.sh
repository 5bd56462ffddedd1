#!/usr/bin/env bash
# Packs Monokube.Testing and Monokube.Testing.Xunit, with the monokube libraries they depend on, into a folder, then
# builds and runs the README's sample tests (tests/Monokube.Testing.Tests/Samples/ConfigMapTests.cs) in a new project
# outside the repository that takes them from that folder, as a user's test project would.
#
#   usage: scripts/try-package.sh [PACKAGE_DIR]      (default: packages/; the version is 0.1.0-local.<time>)
set -euo pipefail
cd "$(dirname "$0")/.."
packages="$(realpath -m "${1:-packages}")"
# A version of its own, so a package of the same version in the NuGet cache is never taken instead.
version="0.1.0-local.$(date +%s)"
for project in Monokube.Storage Monokube.ApiServer Monokube.Controllers Monokube.Node Monokube.Testing Monokube.Testing.Xunit; do
  dotnet pack "src/$project" -c Release -o "$packages" -p:Version="$version" --nologo -v quiet
done
ls "$packages"/*"$version".nupkg

consumer="$(mktemp -d)"
trap 'rm -rf "$consumer"' EXIT
xunit="$(sed -n 's/.*Include="xunit.v3" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)"
cat >"$consumer/nuget.config" <<EOF
<configuration>
  <packageSources>
    <add key="monokube" value="$packages" />
  </packageSources>
</configuration>
EOF
cat >"$consumer/Consumer.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <OutputType>Exe</OutputType>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Monokube.Testing.Xunit" Version="$version" />
    <PackageReference Include="xunit.v3" Version="$xunit" />
  </ItemGroup>
</Project>
EOF
cp tests/Monokube.Testing.Tests/Samples/ConfigMapTests.cs "$consumer/"
# An xUnit v3 test project is a program: running it runs its tests and fails when one fails.
dotnet run --project "$consumer/Consumer.csproj"
