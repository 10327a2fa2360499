// Source: the "Loading modules" example of https://pocketbase.io/docs/js-overview/
module.exports = {
  hello: (name) => "Hello " + name,
};
